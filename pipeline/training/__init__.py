"""Building and measuring a metadata generator (the second paper's §III and Table 1):
caption disaster photos, turn captions into training pairs, fine-tune a LoRA adapter,
generate images per disaster type and score them against real photos."""
