#pragma once

// <brook/brook.h>: everything an application needs to build and run a topology: the
// typed DSL (stream_builder, stream, table, windows, joins, serdes, stores) and the
// runtime (kafka_streams, streams_config), and topic provisioning. JSON serdes are in
// <brook/json.h>, the operator endpoint in <brook/ops.h> (Brook::ops). Tests add
// "engine/testing/topology_test_driver.h" (Brook::test_driver). Everything is in namespace
// brook.

#include "engine/runtime/kafka_streams.h"
#include "engine/runtime/shutdown_signal.h"
#include "engine/runtime/topic_provisioning.h"
#include "operators/stream_builder.h"
