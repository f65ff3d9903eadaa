"""What the tests share: signed tokens and an organisation's archive, real servers, a
small disk that fills up."""
