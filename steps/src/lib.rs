//! Gherkin runner and steps.
