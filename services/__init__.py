"""Order Watch services: shared contracts (common), the carrier adapter, order_watch, devstack."""
