"""The bank's own OpenID4VP verifier (AUTHORIZER=local, and the sandbox): LocalAuthorizer,
its table, and the endpoints a wallet talks to (views.bp, registered only when in use)."""
