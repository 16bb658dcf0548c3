"""The Training tab: set-up, controls, the training worker, live curves, learned kernels,
replay, classify.
"""
