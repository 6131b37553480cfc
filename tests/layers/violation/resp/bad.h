// Fixture for the layers.violation test: the RESP front end reaching into the gateway.
#pragma once
#include <nlohmann/json.hpp>

#include "gateway/gateway.h"
#include "server/server.h"
