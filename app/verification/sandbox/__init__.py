"""The sandbox: a PID provider and the demo wallet, which answers the bank's own verifier
over OpenID4VP (views.bp, registered only while AUTHORIZER=sandbox)."""
