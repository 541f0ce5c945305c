"""The always-on service: Kafka consumer, priority queue, cache, renderer workers, HTTP."""
