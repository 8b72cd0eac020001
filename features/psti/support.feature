@psti-3 @en303645-v2.1.1 @cop2018-3
Feature: A published minimum security-update period
  UK PSTI Schedule 1 paragraph 3, given deemed compliance by ETSI EN 303 645
  provision 5.3-13. The manufacturer publishes the defined support period, the
  minimum time for which security updates will be provided, expressed with an
  end date, in a way a buyer without technical knowledge can understand. The
  period may be extended but never shortened.

  @5.3-13 @mandatory
  Rule: The defined support period is published clearly and accessibly

    @5.3-13-1 @conceptual @automated
    Scenario: The declaration gives the support period as an end date and says where it is published
      Given the manufacturer's declared user information
      Then it gives a public web address for the support period and a specific end date

    @5.3-13-2 @functional @automated
    Scenario: The published support period states a specific end date that has not passed
      When the declared support-period page is fetched without credentials
      Then the page is served without a login, a payment or a request for personal data
      And it states a specific end date for security updates
      And that end date is the one the manufacturer declared
      And that end date has not passed

    @5.3-13-2 @functional @automated
    Scenario: The support period has not been shortened since an earlier assessment
      Given an earlier report for the same model, when one is supplied
      Then the declared end date is not earlier than the end date in that report
