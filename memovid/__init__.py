"""memovid"""
