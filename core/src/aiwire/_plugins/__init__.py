"""_plugins"""
