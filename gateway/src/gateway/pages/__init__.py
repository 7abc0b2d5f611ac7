"""The web pages, one router per part of the cabinet."""
