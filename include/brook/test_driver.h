#pragma once

// <brook/test_driver.h>: topology_test_driver (Brook::test_driver), which runs a topology
// without a broker: pipe records into input topics, read output topics, advance the wall
// clock, inspect stores.

#include "engine/testing/topology_test_driver.h"
