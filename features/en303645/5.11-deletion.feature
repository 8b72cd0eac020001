@en303645-v2.1.1 @cop2018-11
Feature: Making it easy for users to delete user data (EN 303 645 clause 5.11)
  A user who passes the product on, or stops using a service, can remove
  their data from the device and from the manufacturer's services, knows how,
  and is told when it is done.

  @5.11-1 @mandatory
  Rule: User data on the device can be erased simply

    @5.11-1-1 @conceptual @automated
    Scenario: The declaration includes a function that erases user data on the device
      Given the manufacturer's declared deletion functions
      Then at least one deletion function erases user data held on the device

    @5.11-1-2 @functional @automated @network
    Scenario: Erasing user data on the device really erases it
      Given the manufacturer's declared deletion functions
      Then user data stored on the product is gone after the declared erase function, and the user's password is back to the factory one

  @5.11-2 @recommended
  Rule: The device can remove personal data from associated services

    @5.11-2-1 @conceptual @automated
    Scenario: The declaration includes a function that removes personal data from services
      Given the manufacturer's declared deletion functions
      Then at least one deletion function removes personal data held by associated services

    @5.11-2-2 @functional @assessor
    Scenario: Removing personal data from services works
      Given the manufacturer's declared deletion functions
      When the assessor uses the declared function
      Then the personal data is no longer held by the associated services

  @5.11-3 @recommended
  Rule: Users get clear instructions for deleting their personal data

    @5.11-3-1 @functional @automated
    Scenario: The published instructions explain how to delete personal data
      Given the manufacturer's declared deletion functions
      Then the published deletion instructions name the user action of every declared deletion function

  @5.11-4 @recommended
  Rule: Users get clear confirmation that their personal data was deleted

    @5.11-4-1 @functional @automated @network
    Scenario: Deleting personal data is confirmed to the user
      Given the manufacturer's declared deletion functions
      Then the answer to the declared erase function tells the user their data was deleted, and it was
