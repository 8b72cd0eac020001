@en303645-v2.1.1 @cop2018-3
Feature: Keeping software updated (EN 303 645 clause 5.3)
  How the product receives, checks and installs software updates, how the
  user is told about them, and what a manufacturer owes users of a product
  that cannot be updated. Publishing the defined support period (provision
  5.3-13) is tested with the UK PSTI requirements.

  @5.3-1 @recommended
  Rule: Every software component can be updated securely

    @5.3-1-1 @conceptual @assessor
    Scenario: The declared software components can all be updated securely
      Given the manufacturer's declared software components
      Then each component is covered by a secure update mechanism, or the declaration explains why it cannot be

    @5.3-1-2 @functional @assessor
    Scenario: The software components on the product match the declaration
      Given the manufacturer's declared software components
      When the assessor inspects the software on the product
      Then every component found is declared
      And every component declared updatable can be updated

  @5.3-2 @mandatory @condition-5
  Rule: A device that is not constrained has a secure update mechanism

    @5.3-2-1 @conceptual @automated
    Scenario: The declared update mechanism protects updates from tampering
      Given the manufacturer's declared update mechanisms
      Then at least one update mechanism is declared
      And every update mechanism checks the authenticity and integrity of an update before it is installed
      And every update mechanism that fetches updates over a network does so over an encrypted channel

    @5.3-2-2 @functional @automated @network
    Scenario: The product refuses update images that are unsigned or altered
      Given the manufacturer's declared update mechanisms
      Then the product refuses an unsigned and an altered update image and keeps running its current software
      And the product installs the correctly signed test image

  @5.3-3 @mandatory @condition-12
  Rule: Updates are simple for the user to apply

    @5.3-3-1 @conceptual @assessor
    Scenario: Applying an update asks little of the user
      Given the manufacturer's declared update mechanisms
      Then updates install automatically, or at most after a simple action the user is prompted for

  @5.3-4 @recommended @condition-12
  Rule: Updates are installed by an automatic mechanism

    @5.3-4-1 @conceptual @automated
    Scenario: The declaration includes an automatic update mechanism
      Given the manufacturer's declared update mechanisms
      Then at least one update mechanism installs updates automatically

  @5.3-5 @recommended @condition-12
  Rule: The device checks for security updates after it starts and then at regular intervals

    @5.3-5-1 @conceptual @automated
    Scenario: The declaration says when the device looks for updates
      Given the manufacturer's declared update mechanisms
      Then at least one update mechanism checks for updates after the device starts and at a declared interval

  @5.3-6 @recommended @condition-9 @condition-12
  Rule: Automatic updates and update notifications are on by default and under the user's control

    @5.3-6-1 @conceptual @automated
    Scenario: The declared automatic updates and notifications start enabled and can be controlled
      Given the manufacturer's declared update mechanisms
      Then every automatic update or notification function is enabled by default
      And the user can enable, disable and postpone each of them

    @5.3-6-2 @functional @automated @network
    Scenario: The user controls automatic updates and notifications on the product
      Given the product in its factory-default state
      Then automatic updates or update notifications are enabled
      And the user can disable, enable and postpone them through the declared update settings endpoint

  @5.3-7 @mandatory @condition-12
  Rule: The update mechanism uses best-practice cryptography

    @5.3-7-1 @conceptual @automated
    Scenario: The declared update signatures use an accepted algorithm
      Given the manufacturer's declared update mechanisms
      Then every update mechanism names the signature algorithm its updates are checked with
      And every named algorithm is one the harness accepts as current practice

  @5.3-8 @mandatory @condition-12
  Rule: Security updates are timely

    @5.3-8-1 @conceptual @assessor
    Scenario: The declared update process delivers security fixes in good time
      Given the manufacturer's declared update process
      Then the time from a fix being ready to its release is stated
      And the assessor judges that time appropriate for the severity of the issues fixed

  @5.3-9 @recommended @condition-12
  Rule: The device itself verifies the authenticity and integrity of software updates

    @5.3-9-1 @conceptual @automated
    Scenario: The declared update checks run on the device
      Given the manufacturer's declared update mechanisms
      Then every update mechanism verifies an update's signature on the device before installing it

  @5.3-10 @mandatory @condition-11 @condition-12
  Rule: Updates delivered over a network are trusted only through a trust relationship

    @5.3-10-1 @mixed @automated @network
    Scenario: Network updates are accepted only from the trusted source
      Given the manufacturer's declared update mechanisms
      Then every network update mechanism is checked on the device against a current signature algorithm
      And the product refuses an update image signed with a key outside the trust relationship

  @5.3-11 @recommended @condition-12
  Rule: The user is told in a recognisable way when a security update is needed

    @5.3-11-1 @conceptual @assessor
    Scenario: A required security update is announced clearly
      Given the manufacturer's declared update mechanisms
      Then the user is told that a security update is required, in a way they can recognise
      And the notice says what the update protects against

  @5.3-12 @recommended @condition-12
  Rule: The user is told when an update will interrupt the device's basic functions

    @5.3-12-1 @conceptual @assessor
    Scenario: Disruptive updates are announced beforehand
      Given the manufacturer's declared update mechanisms
      Then the user is told before an update that will interrupt the device's basic functions

  @5.3-14 @recommended @condition-3 @condition-4
  Rule: A constrained device that cannot be updated comes with a published rationale, replacement plan and support period

    @5.3-14-1 @conceptual @assessor
    Scenario: The declaration explains the absence of updates
      Given the manufacturer's declared user information
      Then it explains why the software cannot be updated
      And it says how and for how long the hardware will be replaced or supported

    @5.3-14-2 @functional @assessor
    Scenario: The explanation is published where users can find it
      Given the manufacturer's declared user information
      When the assessor opens the published explanation
      Then it gives the rationale, the replacement arrangements and the support period

  @5.3-15 @recommended @condition-3 @condition-4
  Rule: A constrained device that cannot be updated can be isolated and its hardware replaced

    @5.3-15-1 @conceptual @assessor
    Scenario: The declaration explains how the device is isolated and replaced
      Given the manufacturer's declared replacement support
      Then it says how the device can be cut off from the network without harm
      And it says how its hardware can be replaced

    @5.3-15-2 @functional @assessor
    Scenario: The device can be isolated and replaced as declared
      Given the manufacturer's declared replacement support
      When the assessor isolates the device as described
      Then nothing else stops working beyond what the declaration says
      And the replacement route described is available

  @5.3-16 @mandatory
  Rule: The model designation is clearly recognisable

    @5.3-16-1 @conceptual @automated
    Scenario: The declaration says where the model designation can be read
      Given the manufacturer's declared user information
      Then it names the model designation and where a user can read it on the product

    @5.3-16-2 @functional @automated @network
    Scenario: The model designation can be read on the product
      Given the manufacturer's declared user information
      Then the product's own web interface shows the declared model designation
