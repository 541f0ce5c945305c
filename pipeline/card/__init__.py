"""Animated alert card: a hazard pictogram and the alert's own text, drawn without neural
networks or model weights."""
