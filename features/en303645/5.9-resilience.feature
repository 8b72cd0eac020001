@en303645-v2.1.1 @cop2018-9
Feature: Making systems resilient to outages (EN 303 645 clause 5.9)
  The product keeps working as far as it can when the network or the power
  goes, comes back cleanly, and joins networks in an orderly way.

  @5.9-1 @recommended
  Rule: Resilience to network and power outages is built in

    @5.9-1-1 @conceptual @assessor
    Scenario: The declared resilience measures cover network and power loss
      Given the manufacturer's declared resilience mechanisms
      Then they address loss of the network connection and loss of power

    @5.9-1-2 @functional @automated @network
    Scenario: The product copes with outages as declared
      Given the manufacturer's declared resilience mechanisms
      When the product's upstream network is cut
      Then the declared local functions keep working
      And after a power cut with the network restored the declared local functions work

  @5.9-2 @recommended
  Rule: Local functions continue without the network and the device recovers after power loss

    @5.9-2-1 @conceptual @assessor
    Scenario: The declaration says which functions keep working offline
      Given the manufacturer's declared resilience mechanisms
      Then the functions that work without a network connection are listed
      And the device's state after a power loss is described

    @5.9-2-2 @functional @automated @network
    Scenario: Local functions survive a network cut and the device recovers from a power cut
      Given the manufacturer's declared resilience mechanisms
      When the product's upstream network is cut
      Then the declared local functions keep working
      And after a power cut with the network restored the declared local functions work

  @5.9-3 @recommended
  Rule: The device connects to networks in an expected and orderly way

    @5.9-3-1 @conceptual @assessor
    Scenario: The declared connection behaviour is orderly
      Given the manufacturer's declared communication mechanisms
      Then the device reconnects with back-off and without overloading networks or services

    @5.9-3-2 @functional @automated @network
    Scenario: Reconnection after an outage is orderly
      Given the manufacturer's declared communication mechanisms
      Then after its cloud service drops its sessions the product retries no faster than its declared back-off, and reconnects once the service is back
