"""Demo and test tooling, apart from the product: the Asterisk sandbox, sipp phones,
demo traffic and the demo itself. The product never imports it."""
