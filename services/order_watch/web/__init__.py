"""Staff web UI: sign-in, live alerts and tasks boards, the order truth page and search (served under `/ui`)."""
