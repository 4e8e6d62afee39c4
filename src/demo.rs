pub async fn build(_d: &std::path::Path) -> anyhow::Result<crate::store::Store> {
    anyhow::bail!("todo")
}
