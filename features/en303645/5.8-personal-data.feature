@en303645-v2.1.1 @cop2018-8
Feature: Ensuring personal data is secure (EN 303 645 clause 5.8)
  Personal data sent between the product, its apps and its services is
  protected, and users are told what the product can sense.

  @5.8-1 @recommended
  Rule: Personal data in transit is protected with best-practice cryptography

    @5.8-1-1 @conceptual @automated
    Scenario: Every mechanism that carries personal data encrypts it
      Given the manufacturer's declared communication mechanisms
      Then every communication mechanism that carries personal data encrypts it with a current secure protocol version

    @5.8-1-2 @functional @automated @network
    Scenario: Personal data is not seen in the clear on the network
      Given the manufacturer's declared communication mechanisms
      Then the cloud traffic of every mechanism that carries personal data is encrypted from its first byte and shows none of it

  @5.8-2 @mandatory
  Rule: Sensitive personal data between the device and its services is kept confidential

    @5.8-2-1 @conceptual @automated
    Scenario: Every mechanism that carries sensitive personal data encrypts it
      Given the manufacturer's declared communication mechanisms
      Then every communication mechanism that carries sensitive personal data encrypts it with a current secure protocol version

    @5.8-2-2 @functional @automated @network
    Scenario: Sensitive personal data cannot be read from the traffic
      Given the manufacturer's declared communication mechanisms
      Then the traffic to the associated services that carries sensitive personal data is encrypted from its first byte, offers only TLS 1.2 or later and shows none of it

  @5.8-3 @mandatory
  Rule: Every external sensing capability is documented

    @5.8-3-1 @functional @automated
    Scenario: The published documentation lists every sensor
      Given the manufacturer's declared external sensing capabilities
      Then the published sensor documentation names every declared sensor
