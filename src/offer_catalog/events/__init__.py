"""TMF620 event notifications: outbox relay, hub subscriptions, webhook delivery; catalog transfer."""
