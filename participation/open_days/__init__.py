"""Open days (政府开放日): events with limited places, signups, a waitlist, check-in."""
