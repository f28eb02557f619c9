"""Plain async functions over the ports: intake, planning, fulfilment, delivery, CS actions, jobs."""
