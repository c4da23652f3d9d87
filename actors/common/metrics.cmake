target_sources(kfix_domain PRIVATE ${CMAKE_CURRENT_LIST_DIR}/metrics.cpp)
