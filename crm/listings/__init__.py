"""Listings (对接资源): the inventory, and which listings fit a lead."""
