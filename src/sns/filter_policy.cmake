# SNS subscription filter policies: a self-contained engine (parse + match), included from
# src/sns/CMakeLists.txt so that the SNS service links it as runnel_sns_filter.
add_library(runnel_sns_filter STATIC filter_policy.cc filter_values.cc)
target_link_libraries(runnel_sns_filter PUBLIC runnel_common fmt::fmt)
runnel_test(filter_policy_test filter_policy_test.cc LIBS runnel_sns_filter)
