"""The verification wing: what a flow is (`kinds`), the life of its request row
(`requests`), starting and finishing it (`engine`, `effects`), what the person is told
(`outcomes`), and the pages every flow shares (`views`: waiting page, status, Digital
Credentials API completion, wallet callback)."""
