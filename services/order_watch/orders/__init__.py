"""Order state: orders and their promise versions, shipments, tracking history, carrier estimates."""
