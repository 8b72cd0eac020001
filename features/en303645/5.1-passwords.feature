@en303645-v2.1.1 @cop2018-1
Feature: No universal default passwords (EN 303 645 clause 5.1)
  How users and machines prove who they are to the product. The uniqueness of
  passwords (provisions 5.1-1 and 5.1-2) is tested with the UK PSTI
  requirements; this file covers the cryptography of authentication, changing
  the authentication value, and resistance to guessing over the network.

  @5.1-3 @mandatory
  Rule: Authentication to the device uses best-practice cryptography

    @5.1-3-1 @conceptual @automated
    Scenario: The declared authentication mechanisms rely on sound cryptography
      Given the manufacturer's declared authentication mechanisms
      Then every mechanism is offered only on interfaces that encrypt what they carry
      And every mechanism describes the cryptography it relies on

    @5.1-3-2 @functional @automated @network
    Scenario: No credential crosses the network in the clear
      Given the manufacturer's declared authentication mechanisms
      Then every interface an authentication mechanism guards encrypts what it carries
      And no login on the product crosses the network unencrypted
      And every login offered over TLS negotiates TLS 1.2 or later on the product

  @5.1-4 @mandatory @condition-8
  Rule: Users have a simple way to change the value they authenticate with

    @5.1-4-1 @conceptual @automated
    Scenario: The declaration says how a user changes a password or PIN
      Given the manufacturer's declared authentication mechanisms
      Then every mechanism based on a password or PIN declares how its user changes the value

    @5.1-4-2 @functional @automated @network
    Scenario: Changing the authentication value works as declared
      Given the manufacturer's declared authentication mechanisms
      When the password is changed through the declared password change function
      Then the product accepts the new password and refuses the old one

  @5.1-5 @mandatory @condition-5
  Rule: Guessing credentials over the network is made impracticable

    @5.1-5-1 @conceptual @automated
    Scenario: Every network authentication mechanism declares how it limits guessing
      Given the manufacturer's declared authentication mechanisms
      Then every mechanism offered on a network interface declares how it limits repeated failures
      And none allows more than 100 consecutive failures before it locks out or slows down

    @5.1-5-2 @functional @automated @network
    Scenario: Repeated wrong credentials are locked out or slowed down
      Given the manufacturer's declared authentication mechanisms
      Then repeated wrong passwords on every login interface are locked out or slowed down within the declared number of failures
