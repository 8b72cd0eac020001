@en303645-v2.1.1 @cop2018-7
Feature: Ensuring software integrity (EN 303 645 clause 5.7)
  The product checks its own software before running it and reacts to
  unauthorised changes.

  @5.7-1 @recommended
  Rule: The device verifies its software with secure boot

    @5.7-1-1 @conceptual @automated
    Scenario: The declaration includes a secure boot mechanism
      Given the manufacturer's declared secure boot mechanism
      Then the device verifies its software before running it

    @5.7-1-2 @functional @assessor
    Scenario: The device refuses to boot altered software
      Given the manufacturer's declared secure boot mechanism
      When the assessor installs an altered software image by the routes available
      Then the device does not run it

  @5.7-2 @recommended
  Rule: An unauthorised software change is reported and network access is restricted

    @5.7-2-1 @conceptual @assessor
    Scenario: The declaration says how an unauthorised change is handled
      Given the manufacturer's declared secure boot mechanism
      Then a detected unauthorised change is reported to the user or an administrator
      And the device then connects only as far as needed to report it

    @5.7-2-2 @functional @assessor
    Scenario: An unauthorised change triggers the declared reaction
      Given the manufacturer's declared secure boot mechanism
      When the assessor makes an unauthorised change to the software
      Then the user or administrator is alerted
      And the device's network activity is limited to that alert
