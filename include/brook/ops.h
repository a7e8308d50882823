#pragma once

// <brook/ops.h>: the operator endpoint any kafka_streams can serve (Brook::ops): /metrics,
// /health, /ready, /topology and store queries over HTTP; see ops/ops_endpoint.h.

#include "ops/ops_endpoint.h"
