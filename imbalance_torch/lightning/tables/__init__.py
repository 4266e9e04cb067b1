"""Raw input to a checked table: files, frames, arrays, KEEL, built-in data, and the fitted
preprocessing. Imports nothing from the other sub-packages of the Lightning layer.
"""
