# Reference scale scores for tests/test_scoring_reference.py.
# Run from the repository root:  Rscript tests/reference/scoring/make_reference.R
# psych::scoreItems with impute = "none" averages the answered items after reverse
# keying (min + max - x); binnenuit's rule "scored when at least ceil(2/3 * k)
# items are answered" is applied on top, by hand.
library(psych)
d <- read.csv("tests/reference/scoring/responses.csv", stringsAsFactors = FALSE)
keys <- list(agree = c("-A1", "A2", "A3", "A4", "A5"),
             calm  = c("B1", "-B2", "-B3"))
sc <- scoreItems(keys, d[, -1], totals = FALSE, impute = "none", min = 1, max = 6)
out <- data.frame(id = d$id, agree = sc$scores[, "agree"], calm = sc$scores[, "calm"])
for (s in names(keys)) {
  items <- sub("^-", "", keys[[s]])
  n_answered <- rowSums(!is.na(d[, items]))
  out[[s]][n_answered < ceiling(2 / 3 * length(items))] <- NA
  out[[paste0(s, "_n")]] <- n_answered
}
for (s in names(keys)) out[[s]] <- ifelse(is.na(out[[s]]), NA, sprintf("%.17g", out[[s]]))
write.csv(out, "tests/reference/scoring/scores_R.csv", row.names = FALSE, quote = FALSE)
writeLines(capture.output(sessionInfo()), "tests/reference/scoring/sessionInfo.txt")
