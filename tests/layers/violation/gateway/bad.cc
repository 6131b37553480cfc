// Fixture for the layers.violation test: a gateway file reaching into its peer front end.
#include "broker/broker.h"
#include "resp/session.h"
