@en303645-v2.1.1
Feature: Reporting how the provisions are implemented (EN 303 645 clause 4)
  A manufacturer may decide that a recommendation does not suit its product, or
  may not meet it. Either way it writes down why, next to the provision, in the
  Implementation Conformance Statement, so that a reader can weigh the choice.

  @4-1 @mandatory
  Rule: Every recommendation judged not applicable or not met carries a written justification

    @4-1-1 @conceptual @automated
    Scenario: The declaration justifies each recommendation it does not implement
      Given the manufacturer's implementation conformance statement
      Then every recommended provision has an entry in it
      And every recommended provision declared not applicable or not met carries a written justification
