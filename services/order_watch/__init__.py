"""order_watch: reconciles paid and promised delivery against what carriers do; alerts, tasks, staff API."""
