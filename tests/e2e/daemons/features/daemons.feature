# The scenarios tests/daemons.rs runs against real Debian daemons on loopback:
# copied word for word from features/ (the test checks they still match), so
# a run exercises exactly the steps of the full suite, and only those that
# need no website on the internet.
@en303645-v2.1.1
Feature: Real daemons on loopback
  BusyBox telnetd, Mosquitto and OpenSSL's s_server stand in for the network
  services of a real product.

  @5.1-1 @mandatory @condition-1
  Rule: Passwords outside the factory-default state are unique per unit or set by the user

    @5.1-1-2 @functional @automated
    Scenario: No network login accepts a well-known default credential
      Given the product's network login interfaces, including undeclared telnet consoles
      When every credential of the default-credential dictionary is tried on each of them
      Then none of the logins accepts any of those credentials

  @5.1-3 @mandatory
  Rule: Authentication to the device uses best-practice cryptography

    @5.1-3-2 @functional @automated
    Scenario: No credential crosses the network in the clear
      Given the manufacturer's declared authentication mechanisms
      Then every interface an authentication mechanism guards encrypts what it carries
      And no login on the product crosses the network unencrypted
      And every login offered over TLS negotiates TLS 1.2 or later on the product

  @5.5-1 @mandatory
  Rule: Communication uses best-practice cryptography

    @5.5-1-2 @functional @automated
    Scenario: The product's servers offer only current protocols and ciphers
      Given the manufacturer's declared network interfaces
      Then every TLS interface refuses TLS 1.0, TLS 1.1 and weak cipher suites
      And no login on the product crosses the network unencrypted

  @5.5-4 @recommended
  Rule: Functions offered on a network interface need authentication in the initialised state

    @5.5-4-2 @functional @automated @network
    Scenario: No guarded MQTT broker on the product lets an anonymous client in
      Given the product's MQTT interfaces that a declared authentication mechanism guards
      Then none of them accepts a client that connects without credentials and subscribes to every topic
