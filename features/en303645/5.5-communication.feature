@en303645-v2.1.1 @cop2018-5
Feature: Communicating securely (EN 303 645 clause 5.5)
  What the product sends and receives is protected with current cryptography,
  its network functions are reached only after authentication, and its
  critical security parameters stay confidential in transit.

  @5.5-1 @mandatory
  Rule: Communication uses best-practice cryptography

    @5.5-1-1 @conceptual @automated
    Scenario: Every declared communication mechanism uses current cryptography
      Given the manufacturer's declared communication mechanisms
      Then every communication mechanism is protected by a current secure protocol version

    @5.5-1-2 @functional @automated @network
    Scenario: The product's servers offer only current protocols and ciphers
      Given the manufacturer's declared network interfaces
      Then every TLS interface refuses TLS 1.0, TLS 1.1 and weak cipher suites
      And no login on the product crosses the network unencrypted

  @5.5-2 @recommended
  Rule: Network and security functions use reviewed or evaluated implementations

    @5.5-2-1 @conceptual @assessor
    Scenario: The declared network and security implementations have been reviewed
      Given the manufacturer's declared network and security implementations
      Then each is a reviewed or evaluated implementation, or the declaration says how it was reviewed

    @5.5-2-2 @functional @assessor @network
    Scenario: The implementations on the product are the declared ones
      Given the manufacturer's declared network and security implementations
      When the assessor identifies the implementations the product uses
      Then they are the declared ones at the declared versions

  @5.5-3 @recommended
  Rule: Cryptographic algorithms and primitives can be updated

    @5.5-3-1 @conceptual @assessor
    Scenario: The declared software lets cryptography be replaced by an update
      Given the manufacturer's declared software components
      Then the cryptographic algorithms and primitives in use can be replaced through the update mechanism

  @5.5-4 @recommended
  Rule: Functions offered on a network interface need authentication in the initialised state

    @5.5-4-1 @conceptual @automated
    Scenario: Every enabled network interface is guarded or its open use is explained
      Given the manufacturer's declared network interfaces
      Then every enabled network interface is guarded by a declared authentication mechanism or explains why it serves without authentication

    @5.5-4-2 @functional @automated @network
    Scenario: Nothing beyond the declared open functions is reachable without authentication
      Given the manufacturer's declared API endpoints
      Then no endpoint declared to need authentication answers without it

    @5.5-4-2 @functional @automated @network
    Scenario: No guarded MQTT broker on the product lets an anonymous client in
      Given the product's MQTT interfaces that a declared authentication mechanism guards
      Then none of them accepts a client that connects without credentials and subscribes to every topic

  @5.5-5 @mandatory
  Rule: Changing security-relevant configuration over the network requires authentication

    @5.5-5-1 @conceptual @automated
    Scenario: Every interface that can change security settings is guarded
      Given the manufacturer's declared network interfaces
      Then every enabled network interface that can change security-relevant configuration is guarded by a declared authentication mechanism

    @5.5-5-2 @functional @automated @network
    Scenario: Security settings cannot be changed without authentication
      Given the manufacturer's declared API endpoints
      Then no endpoint that changes configuration accepts a change without authentication, and the settings stay as they were

  @5.5-6 @recommended
  Rule: Critical security parameters are encrypted in transit

    @5.5-6-1 @conceptual @automated
    Scenario: Every mechanism that carries critical security parameters encrypts them
      Given the manufacturer's declared communication mechanisms
      Then every communication mechanism that carries critical security parameters encrypts them with a current secure protocol version

    @5.5-6-2 @functional @automated @network
    Scenario: Critical security parameters are not seen in the clear on the network
      Given the manufacturer's declared communication mechanisms
      Then the cloud traffic of every mechanism that carries critical security parameters is encrypted from its first byte and shows none of them

  @5.5-7 @mandatory
  Rule: Critical security parameters sent over remotely accessible interfaces stay confidential

    @5.5-7-1 @conceptual @automated
    Scenario: Remote interfaces that carry critical security parameters keep them confidential
      Given the manufacturer's declared communication mechanisms
      Then every remotely reachable communication mechanism that carries critical security parameters keeps them confidential

    @5.5-7-2 @functional @automated @network
    Scenario: Critical security parameters cannot be read from remote traffic
      Given the manufacturer's declared communication mechanisms
      Then nothing the product sends over its remote cloud connection reveals a critical security parameter, and it offers only TLS 1.2 or later

  @5.5-8 @mandatory
  Rule: The manufacturer manages critical security parameters with secure processes

    @5.5-8-1 @conceptual @assessor
    Scenario: The declared key management covers the whole life of each parameter
      Given the manufacturer's declared security management processes
      Then generation, provisioning, storage, renewal and revocation of critical security parameters each follow a secure process
