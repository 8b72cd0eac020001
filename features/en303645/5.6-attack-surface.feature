@en303645-v2.1.1 @cop2018-6
Feature: Minimising exposed attack surfaces (EN 303 645 clause 5.6)
  The product exposes only the interfaces, services and code its intended use
  needs, gives nothing security-relevant away before authentication, runs with
  least privilege, and is built under a secure development process.

  @5.6-1 @mandatory
  Rule: Unused network and logical interfaces are disabled

    @5.6-1-1 @conceptual @automated
    Scenario: Every enabled network interface has a declared purpose
      Given the manufacturer's declared network interfaces
      Then every enabled network interface states the purpose it serves

    @5.6-1-2 @functional @automated @network
    Scenario: Only the declared interfaces are open on the product
      Given the manufacturer's declared network interfaces
      Then the product's open TCP ports are exactly the ports of its enabled declared interfaces

  @5.6-2 @mandatory
  Rule: Little security-relevant information is disclosed without authentication

    @5.6-2-1 @conceptual @assessor
    Scenario: The declared interfaces disclose only what is needed before authentication
      Given the manufacturer's declared network interfaces
      Then what each interface reveals before authentication is limited to what its purpose needs

    @5.6-2-2 @functional @automated @network
    Scenario: Banners and status pages reveal no versions or secrets
      Given the manufacturer's declared API endpoints
      Then nothing the product returns without authentication discloses a software version or a secret

  @5.6-3 @recommended
  Rule: Physical interfaces are not exposed without need

    @5.6-3-1 @conceptual @assessor
    Scenario: Every exposed physical interface is needed
      Given the manufacturer's declared physical interfaces
      Then every physical interface reachable by a user serves the product's intended use

    @5.6-3-2 @functional @assessor
    Scenario: The physical interfaces on the product match the declaration
      Given the manufacturer's declared physical interfaces
      When the assessor examines the product's enclosure and ports
      Then no undeclared physical interface is exposed

  @5.6-4 @mandatory @condition-13
  Rule: A physically accessible debug interface is disabled in software

    @5.6-4-1 @conceptual @automated
    Scenario: Every accessible debug interface is declared disabled
      Given the manufacturer's declared physical interfaces
      Then every physically accessible debug interface is disabled in software

    @5.6-4-2 @functional @assessor
    Scenario: The debug interface does not respond
      Given the manufacturer's declared physical interfaces
      When the assessor connects to each physically accessible debug interface
      Then it gives no access to the device

  @5.6-5 @recommended
  Rule: Only the software services needed for the intended use are enabled

    @5.6-5-1 @conceptual @assessor
    Scenario: Every enabled software service is needed
      Given the manufacturer's declared software services
      Then every service enabled by default is needed for the product's intended use

  @5.6-6 @recommended
  Rule: Code is kept to the functionality the device needs

    @5.6-6-1 @conceptual @assessor
    Scenario: Unneeded code is removed
      Given the manufacturer's declared code minimisation measures
      Then unused libraries, features and debug code are left out of the product's software

  @5.6-7 @recommended
  Rule: Software runs with the least privilege it needs

    @5.6-7-1 @conceptual @assessor
    Scenario: Processes run with least privilege
      Given the manufacturer's declared privilege controls
      Then every software component runs with only the privileges its function requires

  @5.6-8 @recommended
  Rule: Memory access is controlled by hardware

    @5.6-8-1 @conceptual @assessor
    Scenario: Hardware separates memory between components
      Given the manufacturer's declared access control
      Then the hardware enforces memory access control between software components

  @5.6-9 @recommended
  Rule: The software is developed under a secure development process

    @5.6-9-1 @conceptual @assessor
    Scenario: The declared development process includes security activities
      Given the manufacturer's declared secure development process
      Then it includes threat analysis, secure coding, security testing and review of third-party components
