@en303645-v2.1.1 @cop2018-12
Feature: Making installation and maintenance easy (EN 303 645 clause 5.12)
  Setting up and looking after the product securely asks few decisions of the
  user, and the user is guided through it.

  @5.12-1 @recommended
  Rule: Installation and maintenance take few steps and follow usability best practice

    @5.12-1-1 @conceptual @assessor
    Scenario: The declared set-up asks few security decisions of the user
      Given the manufacturer's declared user decisions
      Then each security decision during set-up and maintenance is necessary and defaults to the secure choice

    @5.12-1-2 @functional @assessor
    Scenario: Setting up the product follows the declaration
      Given the manufacturer's declared user decisions
      When the assessor installs and maintains the product
      Then only the declared decisions are asked for, with secure defaults

  @5.12-2 @recommended
  Rule: Users are guided to set the device up securely

    @5.12-2-1 @functional @automated
    Scenario: The secure set-up guidance is published and names every step
      Given the manufacturer's declared user information
      Then the published secure set-up guidance names every declared set-up step

  @5.12-3 @recommended
  Rule: Users are guided to check that the device is set up securely

    @5.12-3-1 @functional @automated
    Scenario: The guidance explains how to check the set-up
      Given the manufacturer's declared user information
      Then the published set-up checks name every declared check, and the product shows each one at its secure value
