@en303645-v2.1.1 @cop2018-8
Feature: Data protection for consumer IoT (EN 303 645 clause 6)
  Users are told what personal data the product and its services process, and
  why; where consent is the basis it is obtained properly and can be withdrawn;
  telemetry is kept to what is needed and explained.

  @6-1 @mandatory
  Rule: Users get clear information about how their personal data is processed

    @6-1-1 @conceptual @automated
    Scenario: The declaration says where the privacy information is published
      Given the manufacturer's declared user information
      Then it gives a public web address for the privacy notice

    @6-1-2 @functional @automated
    Scenario: The privacy information says what is processed, how, by whom and why
      Given the manufacturer's declared user information
      Then the published privacy notice names each declared kind of personal data with its purpose and who processes it

  @6-2 @mandatory @condition-7
  Rule: Consent for processing personal data is obtained validly

    @6-2-1 @conceptual @assessor
    Scenario: The declared consent is freely given, specific and informed
      Given the manufacturer's declared personal data processing
      Then consent is asked for each specific purpose, with the information needed to decide

    @6-2-2 @functional @assessor
    Scenario: The product asks for consent as declared
      Given the manufacturer's declared personal data processing
      When the assessor sets up the product
      Then consent is asked for as the declaration says before the processing starts

  @6-3 @mandatory
  Rule: Consent can be withdrawn at any time

    @6-3-1 @conceptual @assessor
    Scenario: The declaration says how consent is withdrawn
      Given the manufacturer's declared personal data processing
      Then the user can withdraw each consent at any time, as easily as it was given

    @6-3-2 @functional @automated @network
    Scenario: Withdrawing consent works
      Given the manufacturer's declared personal data processing
      Then every consent the declared consent endpoint lists can be withdrawn, and stays withdrawn after a power cut

  @6-4 @recommended @condition-6
  Rule: Telemetry personal data is kept to the minimum needed

    @6-4-1 @conceptual @assessor
    Scenario: The declared telemetry holds only the personal data it needs
      Given the manufacturer's declared telemetry data
      Then the personal data in it is the minimum needed for the declared purpose

  @6-5 @mandatory @condition-6
  Rule: Users are told what telemetry is collected, how it is used, by whom and why

    @6-5-1 @conceptual @assessor
    Scenario: The declaration describes the telemetry for users
      Given the manufacturer's declared telemetry data
      Then the information for users says what telemetry is collected, how it is used, by whom and for what purpose

    @6-5-2 @functional @automated
    Scenario: The published telemetry information matches the declaration
      Given the manufacturer's declared telemetry data
      Then the published telemetry information names each declared kind of telemetry with its purpose and who processes it
