@psti-2 @en303645-v2.1.1 @cop2018-2
Feature: A published way to report security issues
  UK PSTI Schedule 1 paragraph 2, given deemed compliance by ETSI EN 303 645
  provision 5.2-1. The manufacturer publishes, free of charge and without asking
  for anything in return, at least one point of contact for security reports,
  and says when a reporter can expect an acknowledgement and status updates
  until the issue is resolved.

  @5.2-1 @mandatory
  Rule: A vulnerability disclosure policy is published

    @5.2-1-1 @conceptual @automated
    Scenario: The declaration says where the vulnerability disclosure policy is published
      Given the manufacturer's declared user information
      Then it gives a public web address for the vulnerability disclosure policy

    @5.2-1-2 @functional @automated
    Scenario: The vulnerability disclosure policy is open to anyone
      When the declared vulnerability disclosure policy is fetched without credentials
      Then the page is served without a login, a payment or a request for personal data
      And it gives a way to contact the manufacturer about a security issue

    @5.2-1-2 @functional @automated
    Scenario: The manufacturer publishes a valid security.txt
      When the manufacturer's security.txt is fetched without credentials
      Then it is a valid RFC 9116 file with a contact and an expiry date within the coming year

    @5.2-1-2 @functional @automated
    Scenario: The policy tells a reporter when to expect an acknowledgement and status updates
      When the declared vulnerability disclosure policy is fetched without credentials
      Then it says when a reporter will receive an acknowledgement
      And it says when a reporter will receive status updates until the issue is resolved
