"""The harness that ships with the product: sandboxes wiring, scenario, verification, demo, torture."""
