@en303645-v2.1.1 @cop2018-13
Feature: Validating input data (EN 303 645 clause 5.13)
  Data arriving through user interfaces, APIs and between networks is checked
  before the product acts on it.

  @5.13-1 @mandatory
  Rule: Input from user interfaces, APIs and other networks is validated

    @5.13-1-1 @conceptual @assessor
    Scenario: The declared input validation covers every entry point
      Given the manufacturer's declared user interfaces, external APIs and input validation
      Then every declared entry point validates its input before use

    @5.13-1-2 @functional @automated @network
    Scenario: Malformed and hostile input is rejected
      Given the manufacturer's declared API endpoints
      Then every declared input field refuses malformed, oversized and injection values, and the product keeps working
