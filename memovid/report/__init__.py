"""``memovid report``: one HTML page to judge a colorized film scene by scene (see gather and html)."""
