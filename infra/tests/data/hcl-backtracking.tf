rrrafo = {me+une / {e+unConfig1pvamme+une / ve+unerrafo = {me+une / {e+unConfig1pvamme+une / ve+une / {
arme+une / { {me+uneafo = {me+u /ۄe+arme+une / { {me+une = {-e+une / {e+une / {
arme+une / { {me+unene /ۄe+arme+une / { {me+uneafo = {-e+une / {e+une / {
arme+une / { {me+une2 / {
arme+une / { {me+uneafo = {me+u /ۄe+arme+une / { {me+une = {-e+une / {e+une / {
arme+une / { {me+unene /ۄe+arme+une / { {me+uneafo = {-e+une / {e+une / {
arme+une / { {me+une2