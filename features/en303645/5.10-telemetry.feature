@en303645-v2.1.1 @cop2018-10
Feature: Examining system telemetry data (EN 303 645 clause 5.10)
  Where the product collects telemetry, the manufacturer uses it to spot
  security anomalies.

  @5.10-1 @recommended @condition-6
  Rule: Telemetry is examined for security anomalies

    @5.10-1-1 @conceptual @assessor
    Scenario: The declared telemetry is analysed for signs of attack
      Given the manufacturer's declared telemetry data
      Then the manufacturer examines it for security anomalies and acts on what it finds
