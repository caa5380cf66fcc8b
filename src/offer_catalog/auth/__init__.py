"""Authentication and authorisation: principals, API keys, JWT bearer tokens, route scopes, the middleware."""
