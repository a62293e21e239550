"""Education: learning data, student simulation and knowledge tracing (`yangcheng.education`)."""
