@psti-1 @en303645-v2.1.1 @cop2018-1
Feature: No universal default passwords
  UK PSTI Schedule 1 paragraph 1, given deemed compliance by ETSI EN 303 645
  provisions 5.1-1 and 5.1-2. Once out of its factory-default state, a product
  may only accept passwords that are unique to the unit or chosen by its user.
  A unique password must not follow a counter, must not be built from public
  information or product identifiers such as the serial number or MAC address,
  and must not be otherwise guessable.

  @5.1-1 @mandatory @condition-1
  Rule: Passwords outside the factory-default state are unique per unit or set by the user

    @5.1-1-1 @conceptual @automated
    Scenario: The declared design gives every unit its own password or lets the user set one
      Given the manufacturer's declared password-based authentication mechanisms
      Then every password mechanism is declared unique per unit or defined by the user
      And every password mechanism says how its passwords come about

    @5.1-1-2 @functional @automated @network
    Scenario: No network login accepts a well-known default credential
      Given the product's network login interfaces, including undeclared telnet consoles
      When every credential of the default-credential dictionary is tried on each of them
      Then none of the logins accepts any of those credentials

  @5.1-2 @mandatory @condition-2
  Rule: Pre-installed unique passwords resist automated attacks against the device class

    @5.1-2-1 @conceptual @automated
    Scenario: The declared password generation does not produce guessable passwords
      Given the manufacturer's declared password-based authentication mechanisms
      Then no pre-installed password is declared to come from a counter, a product identifier, public information or a fixed value
      And every declared minimum password length is at least 8 characters

    @5.1-2-2 @functional @automated @network
    Scenario: The pre-installed passwords of the declared units are unique and hard to guess
      Given the pre-installed passwords declared for a sample of units
      Then the unit under test accepts the password declared for it
      And no two units share a password
      And no password is derived from its unit's serial number or MAC address
      And the passwords do not follow an incremental counter
      And no password is a common password and each is strong enough to resist guessing

  # Last on purpose: the reset leaves the unit in its factory state, and the
  # scenarios above test it as shipped.
  @5.1-1 @mandatory @condition-1
  Rule: Passwords outside the factory-default state are unique per unit or set by the user

    @5.1-1-2 @functional @automated @network
    Scenario: A factory reset does not bring back a universal default password
      Given the unit has been reset to its factory settings
      And the product's network login interfaces, including undeclared telnet consoles
      When every credential of the default-credential dictionary is tried on each of them
      Then none of the logins accepts any of those credentials
