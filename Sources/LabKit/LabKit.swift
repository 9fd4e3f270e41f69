// The lab: topology, builder, driver, expectations.
